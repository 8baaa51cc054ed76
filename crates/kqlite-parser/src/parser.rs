//! Query text to [`Script`]: a recursive-descent parser over nom lexemes.
//!
//! Statements and tabular operators are parsed by keyword; scalar
//! expressions by precedence climbing. Once a keyword has matched the parser
//! is committed (it never backtracks out of an operator), so an error points
//! at the real problem rather than at the keyword. Nesting is counted and
//! limited by [`ParseOptions::max_depth`], so hostile input returns an error
//! instead of overflowing the stack.

use crate::ast::*;
use crate::diagnostic::{codes, Diagnostic, ParseError};
use crate::lex;
use crate::span::Span;

/// Limits for [`parse_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// Deepest nesting of parentheses, unary operators, subqueries and
    /// dynamic literals accepted (default 256).
    pub max_depth: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { max_depth: 256 }
    }
}

/// Parses a query text with the default [`ParseOptions`].
pub fn parse(text: &str) -> Result<Script, ParseError> {
    parse_with(text, &ParseOptions::default())
}

/// Parses a query text.
pub fn parse_with(text: &str, options: &ParseOptions) -> Result<Script, ParseError> {
    if u32::try_from(text.len()).is_err() {
        return Err(ParseError::from(Diagnostic::error(
            codes::TOO_LARGE,
            format!(
                "query text is {} bytes; the limit is {} bytes",
                text.len(),
                u32::MAX
            ),
            Span::new(0, 0),
        )));
    }
    match run(text, options, STACK_BUDGET) {
        (Err(e), true) => {
            // Deep but within `max_depth`: retry where there is room.
            let big = std::thread::scope(|scope| {
                std::thread::Builder::new()
                    .stack_size(BIG_STACK)
                    .spawn_scoped(scope, || run(text, options, BIG_STACK - (4 << 20)).0)
                    .ok()
                    .and_then(|h| h.join().ok())
            });
            big.unwrap_or(Err(e))
        }
        (result, _) => result,
    }
}

/// One parse with a stack budget; the flag says whether the budget ran out.
fn run(
    text: &str,
    options: &ParseOptions,
    stack_budget: usize,
) -> (Result<Script, ParseError>, bool) {
    let mut p = Parser {
        src: text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
        max_depth: options.max_depth,
        trivia: (0, 0),
        stack_base: 0,
        stack_budget,
        stack_exhausted: false,
    };
    let base = 0u8;
    p.stack_base = std::ptr::addr_of!(base) as usize;
    let result = p.script().map_err(|d| ParseError::from(*d));
    (result, p.stack_exhausted)
}

type PResult<T> = Result<T, Box<Diagnostic>>;

/// Every tabular operator name, for dispatch, "missing pipe" and "did you mean".
const OPERATORS: &[&str] = &[
    "where",
    "filter",
    "extend",
    "project",
    "project-away",
    "project-keep",
    "project-rename",
    "project-reorder",
    "summarize",
    "sort",
    "order",
    "take",
    "limit",
    "top",
    "top-nested",
    "count",
    "distinct",
    "join",
    "lookup",
    "union",
    "mv-expand",
    "mv-apply",
    "mvexpand",
    "mvapply",
    "parse",
    "parse-kv",
    "parse-where",
    "make-series",
    "evaluate",
    "render",
    "serialize",
    "as",
    "invoke",
    "getschema",
    "sample",
    "sample-distinct",
    "partition",
    "scan",
    "facet",
    "fork",
    "search",
    "reduce",
    "consume",
];

/// Operators that also start a query, so a line starting with one after a
/// finished query is a second query rather than a missing `|`.
const SOURCE_WORDS: &[&str] = &[
    "print",
    "range",
    "datatable",
    "union",
    "search",
    "find",
    "externaldata",
    "let",
    "set",
    "declare",
];

const JOIN_KINDS: &[&str] = &[
    "inner",
    "innerunique",
    "leftouter",
    "rightouter",
    "fullouter",
    "leftanti",
    "rightanti",
    "leftsemi",
    "rightsemi",
    "anti",
    "leftantisemi",
    "rightantisemi",
    "semi",
];

/// Binding strength of binary operators (the pipe is 0, postfix tighter).
const OR: u8 = 1;
const AND: u8 = 2;
const CMP: u8 = 3;
const ADD: u8 = 4;
const MUL: u8 = 5;

#[derive(Clone, Copy)]
enum Op {
    Bin(BinaryOp),
    List(ListOp),
    Between(bool),
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    max_depth: usize,
    /// The last run of trivia skipped, so spans end at the last token rather
    /// than after the whitespace and comments following it.
    trivia: (usize, usize),
    /// Address of a local in [`parse_with`], for [`Parser::stack_used`].
    stack_base: usize,
    /// Stack this parse may use.
    stack_budget: usize,
    /// Whether an error came from the stack budget rather than `max_depth`.
    stack_exhausted: bool,
}

/// Stack the parser may use on the caller's thread: half of the 2 MiB a
/// spawned thread gets by default.
const STACK_BUDGET: usize = 1 << 20;

/// Stack of the helper thread that parses queries nested too deeply for
/// [`STACK_BUDGET`] but within `max_depth` (unoptimized builds use ~40 KiB
/// per level).
const BIG_STACK: usize = 64 << 20;

fn err(code: &'static str, message: impl Into<String>, span: Span) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(code, message, span))
}

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

fn closest<'w>(word: &str, candidates: &[&'w str]) -> Option<&'w str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (distance(&lower, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

impl<'a> Parser<'a> {
    // ----- low-level cursor -------------------------------------------------

    fn skip_ws(&mut self) {
        if self.pos == self.trivia.1 && self.pos != 0 {
            return;
        }
        if let Some(rest) = self.src.get(self.pos..) {
            let len = lex::trivia_len(rest);
            if len > 0 {
                self.trivia = (self.pos, self.pos + len);
                self.pos += len;
            }
        }
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn at(&self, k: usize) -> Option<u8> {
        self.bytes.get(self.pos + k).copied()
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.at(0)
    }

    fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    fn starts(&mut self, s: &str) -> bool {
        self.skip_ws();
        self.rest().starts_with(s)
    }

    /// Consumes punctuation `s` if it is next.
    fn eat(&mut self, s: &str) -> Option<Span> {
        if self.starts(s) {
            let start = self.pos;
            self.pos += s.len();
            Some(Span::new(start, self.pos))
        } else {
            None
        }
    }

    /// Whether a single `=` (not `==`, `=~`, `=>`) is next.
    fn at_assign(&mut self) -> bool {
        self.peek() == Some(b'=') && !matches!(self.at(1), Some(b'=' | b'~' | b'>'))
    }

    fn eat_assign(&mut self) -> Option<Span> {
        if self.at_assign() {
            self.eat("=")
        } else {
            None
        }
    }

    fn here(&mut self) -> Span {
        self.skip_ws();
        Span::new(self.pos, self.pos)
    }

    fn peek_word(&mut self) -> Option<&'a str> {
        self.skip_ws();
        lex::ident(self.rest())
    }

    fn is_word(&mut self, w: &str) -> bool {
        self.peek_word() == Some(w)
    }

    fn eat_word(&mut self, w: &str) -> Option<Span> {
        if self.is_word(w) {
            let start = self.pos;
            self.pos += w.len();
            Some(Span::new(start, self.pos))
        } else {
            None
        }
    }

    /// A description of what is next, for error messages.
    fn found(&mut self) -> String {
        self.skip_ws();
        match self.at(0) {
            None => "end of input".to_string(),
            Some(_) => {
                let len = self.token_len();
                if let Some(w) = self.rest().get(..len).filter(|w| w.len() > 1) {
                    format!("`{w}`")
                } else {
                    let c = self.rest().chars().next().unwrap_or(' ');
                    format!("`{c}`")
                }
            }
        }
    }

    /// The span of the next token (a word, or one character).
    fn next_span(&mut self) -> Span {
        self.skip_ws();
        Span::new(self.pos, self.pos + self.token_len())
    }

    /// Length of the token at the cursor: a word, a number with its unit,
    /// or one character.
    fn token_len(&self) -> usize {
        let rest = self.rest();
        if let Some(w) = lex::ident(rest) {
            return w.len();
        }
        if rest.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            return rest
                .bytes()
                .take_while(|b| lex::is_ident_char(*b) || *b == b'.')
                .count();
        }
        rest.chars().next().map_or(0, char::len_utf8)
    }

    /// A zero-width span just after the previous token, for "expected X"
    /// errors where the next token is on another line or absent.
    fn after_prev(&mut self) -> Span {
        self.skip_ws();
        let end = if self.pos == self.trivia.1 {
            self.trivia.0
        } else {
            self.pos
        };
        Span::new(end, end)
    }

    fn expected(&mut self, what: &str) -> Box<Diagnostic> {
        let found = self.found();
        let span = self.next_span();
        err(
            codes::UNEXPECTED,
            format!("expected {what}, found {found}"),
            span,
        )
    }

    fn expect_lazy(&mut self, s: &str, what: impl FnOnce() -> String) -> PResult<Span> {
        match self.eat(s) {
            Some(span) => Ok(span),
            None => {
                let what = what();
                Err(self.expected(&what))
            }
        }
    }

    fn expect(&mut self, s: &str, what: &str) -> PResult<Span> {
        match self.eat(s) {
            Some(span) => Ok(span),
            None => Err(self.expected(what)),
        }
    }

    fn expect_word(&mut self, w: &str, context: impl std::fmt::Display) -> PResult<Span> {
        match self.eat_word(w) {
            Some(span) => Ok(span),
            None => Err(self.expected(&format!("`{w}` {context}"))),
        }
    }

    /// Expects a closing delimiter, pointing back at the opener if missing.
    fn close(&mut self, close: &str, open: &str, open_span: Span) -> PResult<Span> {
        if let Some(span) = self.eat(close) {
            return Ok(span);
        }
        let found = self.found();
        let here = self.next_span();
        if self.at_end() {
            return Err(Box::new(
                Diagnostic::error(codes::UNBALANCED, format!("unclosed `{open}`"), open_span)
                    .with_label(
                        here,
                        format!("expected `{close}` before the end of the query"),
                    )
                    .with_hint(format!("add the missing `{close}`")),
            ));
        }
        if self.at_assign() {
            return Err(self.assignment_error());
        }
        Err(Box::new(
            Diagnostic::error(
                codes::UNBALANCED,
                format!("expected `{close}` to close `{open}`, found {found}"),
                here,
            )
            .with_label(open_span, format!("this `{open}` is not closed")),
        ))
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        let out_of_stack = self.stack_used() > self.stack_budget;
        self.stack_exhausted |= out_of_stack;
        if self.depth > self.max_depth || out_of_stack {
            let span = self.next_span();
            return Err(err(
                codes::TOO_DEEP,
                format!(
                    "the query nests deeper than {} levels",
                    self.max_depth.min(self.depth)
                ),
                span,
            ));
        }
        Ok(())
    }

    /// Bytes of stack used since parsing started, measured from the address
    /// of a local. Unoptimized builds use far more stack per level than
    /// optimized ones; this keeps both within a small thread's stack.
    fn stack_used(&self) -> usize {
        let here = 0u8;
        self.stack_base.abs_diff(std::ptr::addr_of!(here) as usize)
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn span_from(&self, start: usize) -> Span {
        let end = if self.pos == self.trivia.1 {
            self.trivia.0.max(start)
        } else {
            self.pos
        };
        Span::new(start, end)
    }

    // ----- statements ---------------------------------------------------------

    fn script(&mut self) -> PResult<Script> {
        let mut statements = Vec::new();
        loop {
            while self.eat(";").is_some() {}
            if self.at_end() {
                break;
            }
            let stmt = self.statement()?;
            let is_query = matches!(stmt.kind, StatementKind::Query(_));
            let end = stmt.span;
            statements.push(stmt);
            if self.at_end() {
                break;
            }
            if self.eat(";").is_some() {
                continue;
            }
            return Err(self.missing_separator(is_query, end));
        }
        Ok(Script {
            statements,
            span: Span::new(0, self.src.len()),
        })
    }

    /// The error for text after a complete statement with no `;` before it.
    fn missing_separator(&mut self, after_query: bool, prev: Span) -> Box<Diagnostic> {
        if let Some(d) = self.leftover_error() {
            return d;
        }
        let here = self.next_span();
        if self.peek() == Some(b')') {
            return err(
                codes::UNBALANCED,
                "unexpected `)` with no matching `(`",
                here,
            );
        }
        let starts_statement =
            matches!(self.peek(), Some(b) if lex::is_ident_start(b) || b == b'[' || b == b'(');
        let new_line = self
            .src
            .get(prev.end as usize..here.start as usize)
            .is_some_and(|gap| gap.contains('\n'));
        if after_query && starts_statement && new_line {
            let end = Span::new(prev.end as usize, prev.end as usize);
            return Box::new(
                Diagnostic::error(
                    codes::MISSING_SEMICOLON,
                    "two query statements must be separated by `;`",
                    here,
                )
                .with_label(end, "the previous query ends here")
                .with_hint(
                    "a query text holds one query (its result is the output); delete one, or end the first with `;`",
                ),
            );
        }
        if !after_query {
            return Box::new(
                Diagnostic::error(
                    codes::MISSING_SEMICOLON,
                    "expected `;` after the `let` statement",
                    here,
                )
                .with_hint("end every `let` statement with `;`"),
            );
        }
        let found = self.found();
        Box::new(
            Diagnostic::error(
                codes::UNEXPECTED,
                format!("unexpected {found}; expected `|`, `;` or the end of the query"),
                here,
            )
            .with_hint("is a `,` or a `|` missing before it?"),
        )
    }

    /// Errors for the common leftovers after an operator or expression: a
    /// lone `=`, or an operator name with no `|` before it.
    fn leftover_error(&mut self) -> Option<Box<Diagnostic>> {
        if self.at_assign() {
            return Some(self.assignment_error());
        }
        let word = self.peek_word()?;
        let name = self.operator_name_at().unwrap_or(word);
        if OPERATORS.contains(&name) && !SOURCE_WORDS.contains(&name) {
            let span = Span::new(self.pos, self.pos + name.len());
            return Some(Box::new(
                Diagnostic::error(
                    codes::MISSING_PIPE,
                    format!("expected `|` before `{name}`"),
                    span,
                )
                .with_hint(format!(
                    "tabular operators are chained with `|`: `| {name} ...`"
                )),
            ));
        }
        None
    }

    fn assignment_error(&mut self) -> Box<Diagnostic> {
        let span = self.next_span();
        Box::new(
            Diagnostic::error(
                codes::ASSIGN_NOT_COMPARE,
                "`=` is assignment; use `==` to compare",
                span,
            )
            .with_hint("write `==` (or `=~` to ignore case)"),
        )
    }

    fn statement(&mut self) -> PResult<Statement> {
        self.skip_ws();
        let start = self.pos;
        if self.is_word("declare") && self.word_after_is("pattern") {
            let span = Span::new(start, start + "declare".len());
            return Err(Box::new(
                Diagnostic::error(
                    codes::UNEXPECTED,
                    "`declare pattern` statements are not supported",
                    span,
                )
                .with_hint("define the mapping with `let` and a function or a `datatable` instead"),
            ));
        }
        let kind = if self.eat_word("let").is_some() {
            StatementKind::Let(self.let_statement()?)
        } else if self.is_word("declare") && self.word_after_is("query_parameters") {
            self.eat_word("declare");
            self.eat_word("query_parameters");
            let open = self.expect("(", "`(` after `declare query_parameters`")?;
            let params = self.parameters(open)?;
            StatementKind::DeclareQueryParameters(params)
        } else if self.is_word("set") && self.word_after_is_ident() {
            self.eat_word("set");
            let name = self.dotted_name()?;
            let value = if self.eat_assign().is_some() {
                Some(self.expr_np("=")?)
            } else {
                None
            };
            StatementKind::Set(SetStatement { name, value })
        } else {
            StatementKind::Query(self.expr()?)
        };
        Ok(Statement {
            kind,
            span: self.span_from(start),
        })
    }

    fn word_after_is(&mut self, w: &str) -> bool {
        let save = self.pos;
        let first = self.peek_word().map_or(0, str::len);
        self.pos += first;
        let ok = self.is_word(w);
        self.pos = save;
        ok
    }

    fn word_after_is_ident(&mut self) -> bool {
        let save = self.pos;
        let first = self.peek_word().map_or(0, str::len);
        self.pos += first;
        let ok = self.peek_word().is_some();
        self.pos = save;
        ok
    }

    fn let_statement(&mut self) -> PResult<LetStatement> {
        if self.peek_word().is_none() && self.peek() != Some(b'[') {
            return Err(self.expected("a name after `let`"));
        }
        let name = self.ident()?;
        if self.eat_assign().is_none() {
            let found = self.found();
            let span = self.next_span();
            return Err(Box::new(
                Diagnostic::error(
                    codes::UNEXPECTED,
                    format!("expected `=` after `let {}`, found {found}", name.name),
                    span,
                )
                .with_label(name.span, "the name being bound")
                .with_hint(format!("write `let {} = <value>;`", name.name)),
            ));
        }
        self.skip_ws();
        let save = self.pos;
        if self.eat_word("view").is_some() && self.peek() == Some(b'(') {
            return Ok(LetStatement {
                name,
                value: LetValue::Function(self.function_def()?),
            });
        }
        self.pos = save;
        if self.peek() == Some(b'(') && self.looks_like_function() {
            return Ok(LetStatement {
                name,
                value: LetValue::Function(self.function_def()?),
            });
        }
        if !self.can_start_expr() {
            let found = self.found();
            let span = self.next_span();
            return Err(err(
                codes::EXPECTED_EXPR,
                format!(
                    "expected an expression after `let {} =`, found {found}",
                    name.name
                ),
                span,
            ));
        }
        Ok(LetStatement {
            name,
            value: LetValue::Expr(self.expr()?),
        })
    }

    /// After `(`: `)` then `{`, or `name:` — a parameter list, not a
    /// parenthesised expression.
    fn looks_like_function(&mut self) -> bool {
        let save = self.pos;
        self.pos += 1;
        let result = if self.eat(")").is_some() {
            self.peek() == Some(b'{')
        } else if self.ident().is_ok() {
            self.peek() == Some(b':')
        } else {
            false
        };
        self.pos = save;
        result
    }

    fn function_def(&mut self) -> PResult<FunctionDef> {
        self.skip_ws();
        let start = self.pos;
        let open = self.expect("(", "`(`")?;
        let params = self.parameters(open)?;
        let brace = self.expect("{", "`{` to start the function body")?;
        self.enter()?;
        let mut body = Vec::new();
        loop {
            while self.eat(";").is_some() {}
            if self.peek() == Some(b'}') || self.at_end() {
                break;
            }
            let stmt = self.statement()?;
            let is_query = matches!(stmt.kind, StatementKind::Query(_));
            let end = stmt.span;
            body.push(stmt);
            if self.eat(";").is_some() || self.peek() == Some(b'}') {
                continue;
            }
            if self.at_end() {
                break;
            }
            return Err(self.missing_separator(is_query, end));
        }
        self.close("}", "{", brace)?;
        self.leave();
        Ok(FunctionDef {
            params,
            body,
            span: self.span_from(start),
        })
    }

    /// `name: type [= default], ...)` after the opening `(`.
    fn parameters(&mut self, open: Span) -> PResult<Vec<Parameter>> {
        let mut params = Vec::new();
        if self.eat(")").is_some() {
            return Ok(params);
        }
        loop {
            self.skip_ws();
            let start = self.pos;
            let name = self.ident()?;
            self.expect_lazy(":", || {
                format!("`:` and a type after parameter `{}`", name.name)
            })?;
            let ty = if let Some(open) = self.eat("(") {
                let (columns, wildcard) = self.tabular_type(open)?;
                ParamType::Tabular { columns, wildcard }
            } else {
                ParamType::Scalar(self.type_name()?)
            };
            let default = if self.eat_assign().is_some() {
                Some(self.expr_np("=")?)
            } else {
                None
            };
            params.push(Parameter {
                name,
                ty,
                default,
                span: self.span_from(start),
            });
            if self.comma(&[")"])? {
                continue;
            }
            self.close(")", "(", open)?;
            return Ok(params);
        }
    }

    /// `x: long, *)` after `(`.
    fn tabular_type(&mut self, open: Span) -> PResult<(Vec<ColumnDecl>, bool)> {
        let mut columns = Vec::new();
        let mut wildcard = false;
        if self.eat(")").is_some() {
            return Ok((columns, wildcard));
        }
        loop {
            if self.eat("*").is_some() {
                wildcard = true;
            } else {
                columns.push(self.column_decl()?);
            }
            if self.comma(&[")"])? {
                continue;
            }
            self.close(")", "(", open)?;
            return Ok((columns, wildcard));
        }
    }

    fn column_decl(&mut self) -> PResult<ColumnDecl> {
        self.skip_ws();
        let start = self.pos;
        let name = self.ident()?;
        self.expect_lazy(":", || {
            format!("`:` and a type after column `{}`", name.name)
        })?;
        let ty = self.type_name()?;
        Ok(ColumnDecl {
            name,
            ty,
            span: self.span_from(start),
        })
    }

    /// `a: long, b: string)` after `(`.
    fn column_decls(&mut self, open: Span) -> PResult<Vec<ColumnDecl>> {
        let mut columns = Vec::new();
        if self.eat(")").is_some() {
            return Ok(columns);
        }
        loop {
            columns.push(self.column_decl()?);
            if self.comma(&[")"])? {
                continue;
            }
            self.close(")", "(", open)?;
            return Ok(columns);
        }
    }

    fn type_name(&mut self) -> PResult<TypeName> {
        let Some(word) = self.peek_word() else {
            return Err(self.expected("a type name"));
        };
        let span = self.next_span();
        match TypeName::from_name(word) {
            Some(ty) => {
                self.pos += word.len();
                Ok(ty)
            }
            None => {
                let mut d =
                    Diagnostic::error(codes::UNKNOWN_TYPE, format!("unknown type `{word}`"), span);
                const TYPES: &[&str] = &[
                    "bool", "int", "long", "real", "decimal", "string", "datetime", "timespan",
                    "guid", "dynamic",
                ];
                if let Some(s) = closest(word, TYPES) {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                }
                Err(Box::new(d))
            }
        }
    }

    /// After an item of a comma list: consumes `,` and returns true, or
    /// returns false. A comma followed by one of `ends` (or `|`, `;`, the
    /// end) is a trailing comma.
    fn comma(&mut self, ends: &[&str]) -> PResult<bool> {
        let Some(span) = self.eat(",") else {
            return Ok(false);
        };
        self.skip_ws();
        let trailing = self.at_end()
            || ends.iter().any(|e| {
                self.rest().starts_with(e)
                    && (!e.as_bytes()[0].is_ascii_alphabetic() || self.is_word(e))
            })
            || (self.peek() == Some(b'|'))
            || (self.peek() == Some(b';'));
        if trailing {
            return Err(Box::new(
                Diagnostic::error(codes::TRAILING_COMMA, "trailing comma", span)
                    .with_hint("remove the `,` or add the missing item after it"),
            ));
        }
        Ok(true)
    }

    // ----- names ----------------------------------------------------------------

    /// A plain or quoted (`['x']`, `["x"]`) identifier.
    fn ident(&mut self) -> PResult<Ident> {
        self.skip_ws();
        let start = self.pos;
        if let Some(word) = lex::ident(self.rest()) {
            self.pos += word.len();
            return Ok(Ident {
                name: word.to_string(),
                span: self.span_from(start),
            });
        }
        if self.at(0) == Some(b'[') {
            let save = self.pos;
            self.pos += 1;
            self.skip_ws();
            if matches!(self.at(0), Some(b'\'' | b'"')) {
                let name = self.string_literal()?;
                let open = Span::new(save, save + 1);
                self.close("]", "[", open)?;
                return Ok(Ident {
                    name,
                    span: self.span_from(start),
                });
            }
            self.pos = save;
        }
        Err(self.expected("a name"))
    }

    /// A name that may contain `*` wildcards (`project-away Prefix*`, `union Sec*`).
    fn wildcard_ident(&mut self) -> PResult<Ident> {
        self.skip_ws();
        let start = self.pos;
        let len = self
            .rest()
            .bytes()
            .take_while(|b| lex::is_ident_char(*b) || *b == b'*')
            .count();
        if len == 0 || self.at(0).is_some_and(|b| b.is_ascii_digit()) {
            return self.ident();
        }
        self.pos += len;
        Ok(Ident {
            name: self.src[start..self.pos].to_string(),
            span: self.span_from(start),
        })
    }

    /// `a.b.c` kept whole as one name (`hint.strategy`, `set` options).
    fn dotted_name(&mut self) -> PResult<Ident> {
        self.skip_ws();
        let start = self.pos;
        let first = self.ident()?;
        let mut name = first.name;
        while self.at(0) == Some(b'.') && self.at(1).is_some_and(lex::is_ident_start) {
            self.pos += 1;
            let word = lex::ident(self.rest()).unwrap_or("");
            self.pos += word.len();
            name.push('.');
            name.push_str(word);
        }
        Ok(Ident {
            name,
            span: self.span_from(start),
        })
    }

    fn ident_list(&mut self, after: &str, wildcard: bool) -> PResult<Vec<Ident>> {
        let mut out = Vec::new();
        if !self
            .peek()
            .is_some_and(|b| lex::is_ident_start(b) || b == b'[' || (wildcard && b == b'*'))
        {
            return Err(self.expected(&format!("a column name after `{after}`")));
        }
        loop {
            out.push(if wildcard {
                self.wildcard_ident()?
            } else {
                self.ident()?
            });
            if !self.comma(&[")"])? {
                return Ok(out);
            }
        }
    }

    // ----- expressions ------------------------------------------------------------

    fn can_start_expr(&mut self) -> bool {
        match self.peek() {
            None => false,
            Some(b) => {
                lex::is_ident_start(b)
                    || b.is_ascii_digit()
                    || matches!(
                        b,
                        b'"' | b'\'' | b'(' | b'[' | b'-' | b'+' | b'@' | b'$' | b'`' | b'*'
                    )
            }
        }
    }

    /// Checks an expression can start here, else "expected an expression after `{after}`".
    fn need_expr(&mut self, after: &str) -> PResult<()> {
        if self.can_start_expr() && (self.peek() != Some(b'*') || self.star_ok()) {
            return Ok(());
        }
        if self.at_assign() {
            return Err(self.assignment_error());
        }
        let found = self.found();
        let span = if matches!(self.peek(), None | Some(b'|' | b';' | b')' | b']' | b'}')) {
            self.after_prev()
        } else {
            self.next_span()
        };
        Err(err(
            codes::EXPECTED_EXPR,
            format!("expected an expression after `{after}`, found {found}"),
            span,
        ))
    }

    fn star_ok(&self) -> bool {
        let mut k = 1;
        while self.at(k).is_some_and(|b| b == b' ' || b == b'\t') {
            k += 1;
        }
        matches!(self.at(k), Some(b')' | b',') | None)
            || self
                .src
                .get(self.pos + k..)
                .is_some_and(|r| r.starts_with("has") || r.starts_with("contains"))
    }

    /// A full expression, pipes included.
    fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        self.skip_ws();
        let start = self.pos;
        let mut e = self.binary(OR)?;
        // Each wrap deepens the tree: count it, so consumers that recurse
        // (drop, printer, binder) stay within the limit too.
        let mut wraps = 0;
        while self.peek() == Some(b'|') {
            self.pos += 1;
            self.enter()?;
            wraps += 1;
            let op = self.operator()?;
            e = Expr {
                kind: ExprKind::Pipe {
                    input: Box::new(e),
                    op: Box::new(op),
                },
                span: self.span_from(start),
            };
        }
        self.depth -= wraps;
        self.leave();
        Ok(e)
    }

    /// An expression without a top-level pipe (operator arguments).
    fn expr_np(&mut self, after: &str) -> PResult<Expr> {
        self.need_expr(after)?;
        self.enter()?;
        let e = self.binary(OR);
        self.leave();
        e
    }

    fn peek_op(&mut self) -> Option<(Op, u8, usize)> {
        use BinaryOp as B;
        let b0 = self.peek()?;
        let b1 = self.at(1);
        let sym = |op, level, len| Some((Op::Bin(op), level, len));
        match b0 {
            b'=' => match b1 {
                Some(b'=') => return sym(B::Eq, CMP, 2),
                Some(b'~') => return sym(B::EqTilde, CMP, 2),
                _ => return None,
            },
            b'<' => match b1 {
                Some(b'=') => return sym(B::LtEq, CMP, 2),
                Some(b'>') => return sym(B::NotEq, CMP, 2),
                _ => return sym(B::Lt, CMP, 1),
            },
            b'>' => match b1 {
                Some(b'=') => return sym(B::GtEq, CMP, 2),
                _ => return sym(B::Gt, CMP, 1),
            },
            b'+' => return sym(B::Add, ADD, 1),
            b'-' => return sym(B::Sub, ADD, 1),
            b'*' => return sym(B::Mul, MUL, 1),
            b'/' => return sym(B::Div, MUL, 1),
            b'%' => return sym(B::Mod, MUL, 1),
            b'!' => match b1 {
                Some(b'=') => return sym(B::NotEq, CMP, 2),
                Some(b'~') => return sym(B::NotEqTilde, CMP, 2),
                _ => {}
            },
            _ => {}
        }
        let (negated, off) = if b0 == b'!' { (true, 1) } else { (false, 0) };
        let word = lex::ident(self.src.get(self.pos + off..)?)?;
        let len = off + word.len();
        if !negated {
            match word {
                "and" => return sym(B::And, AND, len),
                "or" => return sym(B::Or, OR, len),
                "has_any" => return Some((Op::List(ListOp::HasAny), CMP, len)),
                "has_all" => return Some((Op::List(ListOp::HasAll), CMP, len)),
                _ => {}
            }
        }
        match word {
            "in" => {
                let ci = self.at(len) == Some(b'~');
                let op = match (negated, ci) {
                    (false, false) => ListOp::In,
                    (true, false) => ListOp::NotIn,
                    (false, true) => ListOp::InCi,
                    (true, true) => ListOp::NotInCi,
                };
                return Some((Op::List(op), CMP, len + usize::from(ci)));
            }
            "between" => return Some((Op::Between(negated), CMP, len)),
            "notbetween" if !negated => return Some((Op::Between(true), CMP, len)),
            "matches" if !negated => {
                let after = self.src.get(self.pos + len..)?;
                let ws = lex::trivia_len(after);
                if lex::ident(after.get(ws..)?) == Some("regex") {
                    let op = StrOp {
                        kind: StrOpKind::MatchesRegex,
                        negated: false,
                        case_sensitive: true,
                    };
                    return sym(B::Str(op), CMP, len + ws + 5);
                }
                return None;
            }
            _ => {}
        }
        let (base, cs) = match word.strip_suffix("_cs") {
            Some(base) => (base, true),
            None => (word, false),
        };
        let (kind, extra_neg, cs) = match base {
            "has" => (StrOpKind::Has, false, cs),
            "hasprefix" => (StrOpKind::HasPrefix, false, cs),
            "hassuffix" => (StrOpKind::HasSuffix, false, cs),
            "contains" => (StrOpKind::Contains, false, cs),
            "containscs" => (StrOpKind::Contains, false, true),
            "notcontains" => (StrOpKind::Contains, true, cs),
            "notcontainscs" => (StrOpKind::Contains, true, true),
            "nothas" => (StrOpKind::Has, true, cs),
            "startswith" => (StrOpKind::StartsWith, false, cs),
            "endswith" => (StrOpKind::EndsWith, false, cs),
            "like" => (StrOpKind::Like, false, cs),
            "notlike" => (StrOpKind::Like, true, cs),
            _ => return None,
        };
        if negated && extra_neg {
            return None;
        }
        let op = StrOp {
            kind,
            negated: negated || extra_neg,
            case_sensitive: cs,
        };
        sym(B::Str(op), CMP, len)
    }

    fn binary(&mut self, min: u8) -> PResult<Expr> {
        self.skip_ws();
        let start = self.pos;
        let mut left = self.unary()?;
        let mut after_cmp = false;
        let depth = self.depth;
        while let Some((op, level, len)) = self.peek_op() {
            if level < min {
                break;
            }
            let op_span = Span::new(self.pos, self.pos + len);
            if level == CMP && after_cmp {
                return Err(Box::new(
                    Diagnostic::error(
                        codes::CHAINED_COMPARISON,
                        "comparison operators cannot be chained",
                        op_span,
                    )
                    .with_hint("add parentheses, or join the comparisons with `and`"),
                ));
            }
            self.pos += len;
            self.enter()?;
            let src = self.src;
            let op_text = &src[op_span.range()];
            let kind = match op {
                Op::Bin(op) => {
                    self.need_expr(op_text)?;
                    let right = self.binary(level + 1)?;
                    ExprKind::Binary {
                        op,
                        left: Box::new(left),
                        right: Box::new(right),
                    }
                }
                Op::List(op) => {
                    let list = self.list_operand(op_text)?;
                    ExprKind::List {
                        op,
                        expr: Box::new(left),
                        list,
                    }
                }
                Op::Between(negated) => {
                    let open = self.expect_lazy("(", || format!("`(` after `{op_text}`"))?;
                    let low = self.expr_np("(")?;
                    self.expect("..", "`..` between the bounds")?;
                    let high = self.expr_np("..")?;
                    self.close(")", "(", open)?;
                    ExprKind::Between {
                        negated,
                        expr: Box::new(left),
                        low: Box::new(low),
                        high: Box::new(high),
                    }
                }
            };
            after_cmp = level == CMP;
            left = Expr {
                kind,
                span: self.span_from(start),
            };
        }
        self.depth = depth;
        Ok(left)
    }

    /// The right side of `in`, `has_any`, ...: `(a, b)`, `(T | project x)`,
    /// or (leniently) a single operand.
    fn list_operand(&mut self, op_text: &str) -> PResult<Vec<Expr>> {
        if let Some(open) = self.eat("(") {
            self.enter()?;
            let mut list = Vec::new();
            if self.eat(")").is_none() {
                loop {
                    self.need_expr(if list.is_empty() { "(" } else { "," })?;
                    list.push(self.expr()?);
                    if self.comma(&[")"])? {
                        continue;
                    }
                    self.close(")", "(", open)?;
                    break;
                }
            }
            self.leave();
            return Ok(list);
        }
        self.need_expr(op_text)?;
        Ok(vec![self.unary()?])
    }

    fn unary(&mut self) -> PResult<Expr> {
        let op = match self.peek() {
            Some(b'-') => UnaryOp::Neg,
            Some(b'+') => UnaryOp::Plus,
            _ => return self.postfix(),
        };
        let start = self.pos;
        self.pos += 1;
        self.need_expr(if op == UnaryOp::Neg { "-" } else { "+" })?;
        self.enter()?;
        let operand = self.unary()?;
        self.leave();
        Ok(Expr {
            kind: ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span: self.span_from(start),
        })
    }

    fn postfix(&mut self) -> PResult<Expr> {
        self.skip_ws();
        let start = self.pos;
        let mut e = self.primary()?;
        let depth = self.depth;
        loop {
            if matches!(self.peek(), Some(b'.' | b'[')) {
                self.enter()?;
            }
            match self.peek() {
                Some(b'.') if self.at(1) != Some(b'.') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.at(0) == Some(b'[') && !matches!(self.at(1), Some(b'\'' | b'"')) {
                        // `x.[i]` is `x[i]`.
                        continue;
                    }
                    let member = if self.at(0) == Some(b'[')
                        || self.at(0).is_some_and(lex::is_ident_start)
                    {
                        self.ident()?
                    } else if self.at(0) == Some(b'$') {
                        let s = self.pos;
                        self.pos += 1;
                        let w = lex::ident(self.rest()).unwrap_or("");
                        self.pos += w.len();
                        Ident {
                            name: self.src[s..self.pos].to_string(),
                            span: self.span_from(s),
                        }
                    } else {
                        return Err(self.expected("a member name after `.`"));
                    };
                    e = Expr {
                        kind: ExprKind::Member {
                            target: Box::new(e),
                            member,
                        },
                        span: self.span_from(start),
                    };
                }
                Some(b'[') => {
                    let open = Span::new(self.pos, self.pos + 1);
                    self.pos += 1;
                    self.need_expr("[")?;
                    let index = self.expr()?;
                    self.close("]", "[", open)?;
                    e = Expr {
                        kind: ExprKind::Index {
                            target: Box::new(e),
                            index: Box::new(index),
                        },
                        span: self.span_from(start),
                    };
                }
                _ => {
                    self.depth = depth;
                    return Ok(e);
                }
            }
        }
    }

    fn primary(&mut self) -> PResult<Expr> {
        self.skip_ws();
        if self.at(0) == Some(b'(') {
            return self.paren();
        }
        self.primary_other()
    }

    /// `( expr )`, kept small: it is on the stack once per nesting level.
    fn paren(&mut self) -> PResult<Expr> {
        let start = self.pos;
        let open = Span::new(self.pos, self.pos + 1);
        self.pos += 1;
        self.need_expr("(")?;
        let inner = self.expr()?;
        self.close(")", "(", open)?;
        Ok(Expr {
            kind: ExprKind::Paren(Box::new(inner)),
            span: self.span_from(start),
        })
    }

    fn primary_other(&mut self) -> PResult<Expr> {
        let start = self.pos;
        let Some(b0) = self.at(0) else {
            return Err(err(
                codes::EXPECTED_EXPR,
                "expected an expression, found end of input",
                self.here(),
            ));
        };
        let lit = |p: &Self, l: Literal| Expr {
            kind: ExprKind::Literal(l),
            span: p.span_from(start),
        };
        match b0 {
            b'(' => {
                let open = Span::new(self.pos, self.pos + 1);
                self.pos += 1;
                self.need_expr("(")?;
                let inner = self.expr()?;
                self.close(")", "(", open)?;
                return Ok(Expr {
                    kind: ExprKind::Paren(Box::new(inner)),
                    span: self.span_from(start),
                });
            }
            b'"' | b'\'' | b'`' => {
                let s = self.string_literal()?;
                return Ok(lit(self, Literal::String(s)));
            }
            b'@' if matches!(self.at(1), Some(b'"' | b'\'')) => {
                let s = self.string_literal()?;
                return Ok(lit(self, Literal::String(s)));
            }
            b'h' | b'H'
                if matches!(self.at(1), Some(b'"' | b'\''))
                    || (self.at(1) == Some(b'@') && matches!(self.at(2), Some(b'"' | b'\''))) =>
            {
                let s = self.string_literal()?;
                return Ok(lit(self, Literal::String(s)));
            }
            b'0'..=b'9' => {
                let l = self.number_literal()?;
                return Ok(lit(self, l));
            }
            b'[' => {
                let name = self.ident()?;
                return Ok(Expr {
                    kind: ExprKind::Name(name),
                    span: self.span_from(start),
                });
            }
            b'$' => {
                let word = lex::ident(self.src.get(self.pos + 1..).unwrap_or(""));
                let side = match word {
                    Some("left") => JoinSide::Left,
                    Some("right") => JoinSide::Right,
                    _ => return Err(self.expected("`$left` or `$right`")),
                };
                self.pos += 1 + word.map_or(0, str::len);
                return Ok(Expr {
                    kind: ExprKind::JoinSide(side),
                    span: self.span_from(start),
                });
            }
            b'*' => {
                self.pos += 1;
                return Ok(Expr {
                    kind: ExprKind::Star,
                    span: self.span_from(start),
                });
            }
            _ => {}
        }
        let Some(word) = lex::ident(self.rest()) else {
            let found = self.found();
            let span = self.next_span();
            if b0 == b')' {
                return Err(err(
                    codes::EXPECTED_EXPR,
                    "expected an expression, found `)`",
                    span,
                ));
            }
            return Err(err(
                codes::EXPECTED_EXPR,
                format!("expected an expression, found {found}"),
                span,
            ));
        };
        let word_end = self.pos + word.len();
        let paren_next = {
            let after = self.src.get(word_end..).unwrap_or("");
            after.as_bytes().get(lex::trivia_len(after)) == Some(&b'(')
        };
        match word {
            "true" | "True" | "TRUE" => {
                self.pos = word_end;
                return Ok(lit(self, Literal::Bool(Some(true))));
            }
            "false" | "False" | "FALSE" => {
                self.pos = word_end;
                return Ok(lit(self, Literal::Bool(Some(false))));
            }
            _ => {}
        }
        if let Some(e) = self.source(word, start)? {
            return Ok(e);
        }
        if paren_next {
            if let Some(l) = self.typed_literal(word)? {
                return Ok(lit(self, l));
            }
            let call = self.call()?;
            return Ok(Expr {
                kind: ExprKind::Call(call),
                span: self.span_from(start),
            });
        }
        self.pos = word_end;
        Ok(Expr {
            kind: ExprKind::Name(Ident {
                name: word.to_string(),
                span: self.span_from(start),
            }),
            span: self.span_from(start),
        })
    }

    /// `name(args)`: positional args, `*`, and `name = value` named args.
    fn call(&mut self) -> PResult<Call> {
        let name = self.ident()?;
        let open = self.expect("(", "`(`")?;
        self.enter()?;
        let mut args = Vec::new();
        let mut named = Vec::new();
        if self.eat(")").is_none() {
            loop {
                self.skip_ws();
                if let Some(n) = self.digit_name_assign() {
                    let v = self.expr_np("=")?;
                    named.push((n, v));
                } else if self.peek_word().is_some() && self.named_arg_next() {
                    let n = self.ident()?;
                    self.eat_assign();
                    let v = self.expr_np("=")?;
                    named.push((n, v));
                } else {
                    let after = if args.is_empty() && named.is_empty() {
                        "("
                    } else {
                        ","
                    };
                    self.need_expr(after)?;
                    args.push(self.expr()?);
                }
                if self.comma(&[")"])? {
                    continue;
                }
                self.close(")", "(", open)?;
                break;
            }
        }
        self.leave();
        Ok(Call { name, args, named })
    }

    /// A name starting with a digit (`5h_MovingAvg = ...`), which Kusto
    /// accepts as an output name before `=`; consumes the `=` too.
    fn digit_name_assign(&mut self) -> Option<Ident> {
        if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
            return None;
        }
        let start = self.pos;
        let len = self
            .rest()
            .bytes()
            .take_while(|b| lex::is_ident_char(*b))
            .count();
        let token = &self.src[start..start + len];
        if !token.bytes().any(|b| b.is_ascii_alphabetic() || b == b'_') {
            return None;
        }
        self.pos += len;
        if !self.at_assign() {
            self.pos = start;
            return None;
        }
        let span = Span::new(start, start + len);
        self.eat_assign();
        Some(Ident {
            name: token.to_string(),
            span,
        })
    }

    fn named_arg_next(&mut self) -> bool {
        let save = self.pos;
        let w = self.peek_word().map_or(0, str::len);
        self.pos += w;
        let ok = self.at_assign();
        self.pos = save;
        ok
    }

    // ----- literals -----------------------------------------------------------------

    /// One string literal or several adjacent ones (concatenated).
    fn string_literal(&mut self) -> PResult<String> {
        let mut out = self.one_string()?;
        loop {
            let save = self.pos;
            self.skip_ws();
            let b0 = self.at(0);
            let b1 = self.at(1);
            let b2 = self.at(2);
            let more = matches!(b0, Some(b'"' | b'\'' | b'`'))
                || (b0 == Some(b'@') && matches!(b1, Some(b'"' | b'\'')))
                || (matches!(b0, Some(b'h' | b'H'))
                    && (matches!(b1, Some(b'"' | b'\''))
                        || (b1 == Some(b'@') && matches!(b2, Some(b'"' | b'\'')))));
            if b0 == Some(b'`') && !self.rest().starts_with("```") {
                self.pos = save;
                return Ok(out);
            }
            if !more {
                self.pos = save;
                return Ok(out);
            }
            out.push_str(&self.one_string()?);
        }
    }

    fn one_string(&mut self) -> PResult<String> {
        let start = self.pos;
        if matches!(self.at(0), Some(b'h' | b'H')) {
            self.pos += 1;
        }
        if self.rest().starts_with("```") {
            self.pos += 3;
            let Some(end) = self.rest().find("```") else {
                let span = Span::new(start, self.src.len());
                return Err(Box::new(
                    Diagnostic::error(
                        codes::UNTERMINATED_STRING,
                        "unterminated string literal",
                        span,
                    )
                    .with_hint("close the multi-line string with ```"),
                ));
            };
            let s = self.rest()[..end].to_string();
            self.pos += end + 3;
            return Ok(s);
        }
        let verbatim = self.at(0) == Some(b'@');
        if verbatim {
            self.pos += 1;
        }
        let Some(quote) = self.at(0) else {
            return Err(self.expected("a string literal"));
        };
        if quote != b'"' && quote != b'\'' {
            return Err(self.expected("a string literal"));
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = self.rest();
            // The run of ordinary characters up to a quote, backslash or line break.
            let run = rest
                .bytes()
                .take_while(|&b| b != quote && b != b'\n' && b != b'\r' && (verbatim || b != b'\\'))
                .count();
            out.push_str(&rest[..run]);
            self.pos += run;
            match self.at(0) {
                Some(b) if b == quote => {
                    self.pos += 1;
                    if verbatim && self.at(0) == Some(quote) {
                        out.push(quote as char);
                        self.pos += 1;
                        continue;
                    }
                    return Ok(out);
                }
                Some(b'\\') => {
                    let esc_start = self.pos;
                    self.pos += 1;
                    let c = self.rest().chars().next();
                    match c {
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some('r') => out.push('\r'),
                        Some('0') => out.push('\0'),
                        Some('\\') => out.push('\\'),
                        Some('"') => out.push('"'),
                        Some('\'') => out.push('\''),
                        Some('u') => {
                            let hex = self.src.get(self.pos + 1..self.pos + 5).unwrap_or("");
                            let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                            match ch {
                                Some(ch) if hex.len() == 4 => {
                                    out.push(ch);
                                    self.pos += 4;
                                }
                                _ => {
                                    return Err(err(
                                        codes::BAD_LITERAL,
                                        "invalid `\\u` escape: expected four hex digits",
                                        Span::new(esc_start, self.pos + 1),
                                    ))
                                }
                            }
                        }
                        Some('\n' | '\r') | None => continue,
                        Some(other) => {
                            // Kusto keeps unknown escapes (regex text such as `\d`) as written.
                            out.push('\\');
                            out.push(other);
                        }
                    }
                    self.pos += c.map_or(0, char::len_utf8);
                }
                _ => {
                    let span = Span::new(start, self.pos);
                    let q = quote as char;
                    return Err(Box::new(
                        Diagnostic::error(
                            codes::UNTERMINATED_STRING,
                            "unterminated string literal",
                            span,
                        )
                        .with_hint(format!(
                            "add the closing `{q}`; use ``` for text spanning lines"
                        )),
                    ));
                }
            }
        }
    }

    fn number_literal(&mut self) -> PResult<Literal> {
        let start = self.pos;
        let rest = self.rest();
        if rest.starts_with("0x") || rest.starts_with("0X") {
            let hex = lex::hex_digits(&rest[2..]).unwrap_or("");
            let v = i64::from_str_radix(hex, 16).ok();
            self.pos += 2 + hex.len();
            return match v {
                Some(v) if !hex.is_empty() => Ok(Literal::Long(Some(v))),
                _ => Err(err(
                    codes::BAD_LITERAL,
                    "invalid hexadecimal literal",
                    self.span_from(start),
                )),
            };
        }
        let Some((text, real)) = lex::number(rest) else {
            return Err(self.expected("a number"));
        };
        self.pos += text.len();
        let unit = lex::letters(self.rest());
        if !unit.is_empty() || self.at(0).is_some_and(lex::is_ident_char) {
            let whole = lex::ident(self.rest()).unwrap_or(unit);
            self.pos += whole.len();
            let span = self.span_from(start);
            let Some(mult) = lex::timespan_unit(whole) else {
                let shown = &self.src[span.range()];
                return Err(Box::new(
                    Diagnostic::error(codes::BAD_TIMESPAN, format!("invalid timespan literal `{shown}`"), span)
                        .with_hint("timespan units are d, h, m, s, ms, microsecond and tick (also day(s), hour(s), min, minute(s), sec, second(s), millisecond(s))"),
                ));
            };
            return ticks_of(text, real, mult)
                .map(|t| Literal::TimeSpan(Some(t)))
                .ok_or_else(|| err(codes::BAD_LITERAL, "timespan literal out of range", span));
        }
        let span = self.span_from(start);
        if real {
            text.parse::<f64>()
                .map(|v| Literal::Real(Some(v)))
                .map_err(|_| err(codes::BAD_LITERAL, "invalid real literal", span))
        } else {
            text.parse::<i64>()
                .map(|v| Literal::Long(Some(v)))
                .map_err(|_| {
                    err(
                        codes::BAD_LITERAL,
                        format!("integer literal `{text}` does not fit in a long"),
                        span,
                    )
                })
        }
    }

    /// The raw text between `(` and the matching `)` after a literal keyword.
    fn paren_text(&mut self, word: &str) -> PResult<(String, Span)> {
        self.pos += word.len();
        let open = self.expect("(", "`(`")?;
        let rest = self.rest();
        let Some(end) = rest
            .find([')', '\n'])
            .filter(|&i| rest.as_bytes()[i] == b')')
        else {
            return Err(Box::new(
                Diagnostic::error(
                    codes::UNBALANCED,
                    format!("unclosed `(` in `{word}(...)`"),
                    open,
                )
                .with_hint("add the missing `)`"),
            ));
        };
        let inner_span = Span::new(self.pos, self.pos + end);
        let text = rest[..end].trim().to_string();
        self.pos += end + 1;
        Ok((text, inner_span))
    }

    /// `datetime(...)`, `dynamic(...)`, `long(null)`, `typeof(string)`, ...:
    /// `Ok(None)` when `word(` is an ordinary call.
    fn typed_literal(&mut self, word: &str) -> PResult<Option<Literal>> {
        let save = self.pos;
        match word {
            "datetime" | "date" => {
                let (text, span) = self.paren_text(word)?;
                if text == "null" {
                    return Ok(Some(Literal::DateTime(None)));
                }
                let ok = !text.is_empty()
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b" -:./+,_\"'".contains(&b));
                if !ok {
                    return Err(err(
                        codes::BAD_LITERAL,
                        format!("invalid datetime literal `{text}`"),
                        span,
                    ));
                }
                Ok(Some(Literal::DateTime(Some(text))))
            }
            "timespan" | "time" => {
                let (text, span) = self.paren_text(word)?;
                if text == "null" {
                    return Ok(Some(Literal::TimeSpan(None)));
                }
                match parse_time_text(&text) {
                    Some(t) => Ok(Some(Literal::TimeSpan(Some(t)))),
                    None => Err(Box::new(
                        Diagnostic::error(
                            codes::BAD_TIMESPAN,
                            format!("invalid timespan literal `{text}`"),
                            span,
                        )
                        .with_hint("write `time(1.02:03:04.5)`, `time(2h)` or `time(3)` (days)"),
                    )),
                }
            }
            "guid" | "uniqueid" => {
                let (text, span) = self.paren_text(word)?;
                if text == "null" {
                    return Ok(Some(Literal::Guid(None)));
                }
                match parse_guid(&text) {
                    Some(g) => Ok(Some(Literal::Guid(Some(g)))),
                    None => Err(err(
                        codes::BAD_LITERAL,
                        format!("invalid guid literal `{text}`"),
                        span,
                    )),
                }
            }
            "decimal" => {
                let (text, span) = self.paren_text(word)?;
                if text == "null" {
                    return Ok(Some(Literal::Decimal(None)));
                }
                let body = text.strip_prefix(['-', '+']).unwrap_or(&text);
                if lex::number(body).is_some_and(|(n, _)| n.len() == body.len()) {
                    Ok(Some(Literal::Decimal(Some(text))))
                } else {
                    Err(err(
                        codes::BAD_LITERAL,
                        format!("invalid decimal literal `{text}`"),
                        span,
                    ))
                }
            }
            "typeof" => {
                self.pos += word.len();
                self.expect("(", "`(`")?;
                let ty = self.peek_word().and_then(TypeName::from_name);
                if let Some(ty) = ty {
                    self.pos += self.peek_word().map_or(0, str::len);
                    if self.eat(")").is_some() {
                        return Ok(Some(Literal::TypeOf(ty)));
                    }
                }
                self.pos = save;
                Ok(None)
            }
            "dynamic" => {
                self.pos += word.len();
                let open = self.expect("(", "`(`")?;
                let value = self.dynamic_value()?;
                self.close(")", "(", open)?;
                Ok(Some(Literal::Dynamic(value)))
            }
            "bool" | "boolean" | "int" | "long" | "real" | "double" => {
                self.pos += word.len();
                self.expect("(", "`(`")?;
                self.skip_ws();
                let neg = self.eat("-").is_some();
                let plus = !neg && self.eat("+").is_some();
                let value = self.peek_word();
                let lit = match (word, value) {
                    (_, Some("null")) if !neg && !plus => {
                        self.pos += 4;
                        Some(match word {
                            "bool" | "boolean" => Literal::Bool(None),
                            "int" => Literal::Int(None),
                            "long" => Literal::Long(None),
                            _ => Literal::Real(None),
                        })
                    }
                    ("bool" | "boolean", Some(w @ ("true" | "false"))) if !neg && !plus => {
                        self.pos += w.len();
                        Some(Literal::Bool(Some(w == "true")))
                    }
                    ("real" | "double", Some(w @ ("nan" | "inf"))) => {
                        self.pos += w.len();
                        Some(Literal::Real(Some(match (w, neg) {
                            ("nan", _) => f64::NAN,
                            (_, true) => f64::NEG_INFINITY,
                            _ => f64::INFINITY,
                        })))
                    }
                    (_, None) if self.peek().is_some_and(|b| b.is_ascii_digit()) => {
                        let (text, real) = lex::number(self.rest()).unwrap_or(("", false));
                        let signed = if neg {
                            format!("-{text}")
                        } else {
                            text.to_string()
                        };
                        self.pos += text.len();
                        match word {
                            "int" if !real => {
                                signed.parse::<i32>().ok().map(|v| Literal::Int(Some(v)))
                            }
                            "long" if !real => {
                                signed.parse::<i64>().ok().map(|v| Literal::Long(Some(v)))
                            }
                            "real" | "double" => {
                                signed.parse::<f64>().ok().map(|v| Literal::Real(Some(v)))
                            }
                            _ => None,
                        }
                    }
                    _ => None,
                };
                match lit {
                    Some(l) if self.eat(")").is_some() => Ok(Some(l)),
                    _ => {
                        self.pos = save;
                        Ok(None)
                    }
                }
            }
            _ => Ok(None),
        }
    }

    /// The JSON-like value inside `dynamic(...)`.
    fn dynamic_value(&mut self) -> PResult<DynamicLiteral> {
        self.enter()?;
        let v = self.dynamic_value_inner();
        self.leave();
        v
    }

    fn dynamic_value_inner(&mut self) -> PResult<DynamicLiteral> {
        let Some(b0) = self.peek() else {
            return Err(self.expected("a dynamic value"));
        };
        match b0 {
            b'[' => {
                let open = Span::new(self.pos, self.pos + 1);
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat("]").is_some() {
                    return Ok(DynamicLiteral::Array(items));
                }
                loop {
                    items.push(self.dynamic_value()?);
                    if self.comma(&["]"])? {
                        continue;
                    }
                    self.close("]", "[", open)?;
                    return Ok(DynamicLiteral::Array(items));
                }
            }
            b'{' => {
                let open = Span::new(self.pos, self.pos + 1);
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat("}").is_some() {
                    return Ok(DynamicLiteral::Object(items));
                }
                loop {
                    self.skip_ws();
                    let key = if matches!(self.at(0), Some(b'"' | b'\'' | b'@')) {
                        self.string_literal()?
                    } else if let Some(w) = self.peek_word() {
                        self.pos += w.len();
                        w.to_string()
                    } else {
                        return Err(self.expected("a property name"));
                    };
                    self.expect(":", "`:` after the property name")?;
                    let value = self.dynamic_value()?;
                    items.push((key, value));
                    if self.comma(&["}"])? {
                        continue;
                    }
                    self.close("}", "{", open)?;
                    return Ok(DynamicLiteral::Object(items));
                }
            }
            b'"' | b'\'' | b'@' => Ok(DynamicLiteral::String(self.string_literal()?)),
            b'-' | b'+' | b'0'..=b'9' => {
                let start = self.pos;
                let neg = b0 == b'-';
                if !b0.is_ascii_digit() {
                    self.pos += 1;
                }
                self.skip_ws();
                let l = self.number_literal()?;
                let span = self.span_from(start);
                let bad = || err(codes::BAD_LITERAL, "number out of range", span);
                Ok(match l {
                    Literal::Long(Some(v)) => DynamicLiteral::Long(if neg {
                        v.checked_neg().ok_or_else(bad)?
                    } else {
                        v
                    }),
                    Literal::Real(Some(v)) => DynamicLiteral::Real(if neg { -v } else { v }),
                    Literal::TimeSpan(Some(t)) => {
                        DynamicLiteral::TimeSpan(if neg { -t } else { t })
                    }
                    _ => return Err(bad()),
                })
            }
            _ => {
                let Some(word) = self.peek_word() else {
                    return Err(self.expected("a dynamic value"));
                };
                match word {
                    "null" => {
                        self.pos += 4;
                        Ok(DynamicLiteral::Null)
                    }
                    "true" => {
                        self.pos += 4;
                        Ok(DynamicLiteral::Bool(true))
                    }
                    "false" => {
                        self.pos += 5;
                        Ok(DynamicLiteral::Bool(false))
                    }
                    _ => {
                        let start = self.pos;
                        let lit = self.typed_literal(word)?;
                        let span = self.span_from(start);
                        match lit {
                            Some(Literal::DateTime(Some(t))) => Ok(DynamicLiteral::DateTime(t)),
                            Some(Literal::TimeSpan(Some(t))) => Ok(DynamicLiteral::TimeSpan(t)),
                            Some(Literal::Guid(Some(g))) => Ok(DynamicLiteral::Guid(g)),
                            Some(Literal::Long(Some(v))) => Ok(DynamicLiteral::Long(v)),
                            Some(Literal::Int(Some(v))) => Ok(DynamicLiteral::Long(v as i64)),
                            Some(Literal::Real(Some(v))) => Ok(DynamicLiteral::Real(v)),
                            Some(Literal::Bool(Some(v))) => Ok(DynamicLiteral::Bool(v)),
                            Some(_) => Ok(DynamicLiteral::Null),
                            None => Err(err(
                                codes::BAD_LITERAL,
                                format!("`{word}` is not allowed inside `dynamic(...)`"),
                                if span.is_empty() {
                                    self.next_span()
                                } else {
                                    span
                                },
                            )),
                        }
                    }
                }
            }
        }
    }

    // ----- sources --------------------------------------------------------------------

    /// A source operator starting a query (`print`, `range`, `datatable`,
    /// `union`, `externaldata`, `find`, `search`), if `word` starts one here.
    fn source(&mut self, word: &str, start: usize) -> PResult<Option<Expr>> {
        let save = self.pos;
        self.pos += word.len();
        let next = self.peek();
        let starts_item = next.is_some_and(|b| {
            lex::is_ident_start(b)
                || b.is_ascii_digit()
                || matches!(
                    b,
                    b'"' | b'\'' | b'(' | b'[' | b'-' | b'+' | b'@' | b'$' | b'`'
                )
        });
        let is_source = match word {
            "print" => starts_item && !self.at_op_word(),
            "range" => {
                let w = self.peek_word().map_or(0, str::len);
                let s2 = self.pos;
                self.pos += w;
                let ok = w > 0 && self.is_word("from");
                self.pos = s2;
                ok
            }
            "datatable" | "externaldata" => next == Some(b'(') || self.is_word("with"),
            "union" => (starts_item || next == Some(b'*')) && !self.at_op_word(),
            "search" => starts_item || next == Some(b'*'),
            "find" => {
                self.is_word("where")
                    || self.is_word("in")
                    || self.is_word("withsource")
                    || matches!(next, Some(b'"' | b'\''))
            }
            _ => false,
        };
        self.pos = save;
        if !is_source {
            return Ok(None);
        }
        let op = self.operator()?;
        Ok(Some(Expr {
            kind: ExprKind::Source(Box::new(op)),
            span: self.span_from(start),
        }))
    }

    fn at_op_word(&mut self) -> bool {
        self.peek_op().is_some_and(|(op, _, _)| {
            matches!(
                op,
                Op::List(_)
                    | Op::Between(_)
                    | Op::Bin(BinaryOp::Str(_) | BinaryOp::And | BinaryOp::Or)
            )
        })
    }

    // ----- tabular operators ----------------------------------------------------------

    /// The operator name at the cursor, joining hyphenated names
    /// (`project-away`, `mv-expand`) when they name an operator.
    fn operator_name_at(&mut self) -> Option<&'a str> {
        let first = self.peek_word()?;
        let start = self.pos;
        let mut end = start + first.len();
        while self.bytes.get(end) == Some(&b'-') {
            let Some(next) = lex::ident(self.src.get(end + 1..).unwrap_or("")) else {
                break;
            };
            let joined = &self.src[start..end + 1 + next.len()];
            if !OPERATORS
                .iter()
                .chain(["project-smart", "top-hitters"].iter())
                .any(|o| o.starts_with(joined))
            {
                break;
            }
            end += 1 + next.len();
        }
        Some(&self.src[start..end])
    }

    /// One tabular operator, from its keyword.
    fn operator(&mut self) -> PResult<Operator> {
        self.skip_ws();
        let start = self.pos;
        let Some(name) = self.operator_name_at() else {
            let found = self.found();
            let span = self.next_span();
            if self.peek() == Some(b'=') || found == "end of input" || self.peek() == Some(b'|') {
                return Err(err(
                    codes::EXPECTED_EXPR,
                    format!("expected a tabular operator after `|`, found {found}"),
                    span,
                ));
            }
            return Err(err(
                codes::UNEXPECTED,
                format!("expected a tabular operator after `|`, found {found}"),
                span,
            ));
        };
        let name_span = Span::new(start, start + name.len());
        self.pos += name.len();
        let kw = name;
        self.enter()?;
        let kind = match name {
            "where" | "filter" => OperatorKind::Where(self.expr_np(kw)?),
            "extend" => OperatorKind::Extend(self.named_list(kw, &[])?),
            "project" => OperatorKind::Project(self.named_list(kw, &[])?),
            "project-away" => OperatorKind::ProjectAway(self.ident_list(name, true)?),
            "project-keep" => OperatorKind::ProjectKeep(self.ident_list(name, true)?),
            "project-rename" => {
                let mut pairs = Vec::new();
                loop {
                    let new = self.ident()?;
                    if self.eat_assign().is_none() {
                        return Err(self.expected("`=` in `project-rename NewName = OldName`"));
                    }
                    let old = self.ident()?;
                    pairs.push((new, old));
                    if !self.comma(&[])? {
                        break;
                    }
                }
                OperatorKind::ProjectRename(pairs)
            }
            "project-reorder" => {
                let mut cols = Vec::new();
                loop {
                    let c = self.wildcard_ident()?;
                    let order = self.sort_order();
                    if order.is_none() {
                        for w in ["granny-asc", "granny-desc"] {
                            if self.rest().starts_with(w) {
                                self.pos += w.len();
                            }
                        }
                    }
                    cols.push((c, order));
                    if !self.comma(&[])? {
                        break;
                    }
                }
                OperatorKind::ProjectReorder(cols)
            }
            "summarize" => {
                let params = self.params(&[])?;
                let aggregates = if self.is_word("by") {
                    Vec::new()
                } else {
                    self.named_list(kw, &["by"])?
                };
                let by = if let Some(by) = self.eat_word("by") {
                    let _ = by;
                    self.named_list("by", &[])?
                } else {
                    Vec::new()
                };
                if aggregates.is_empty() && by.is_empty() {
                    return Err(self.expected_expr_after(kw));
                }
                OperatorKind::Summarize {
                    params,
                    aggregates,
                    by,
                }
            }
            "sort" | "order" => {
                let params = self.params(&[])?;
                self.expect_word("by", format_args!("after `{kw}`"))?;
                let mut keys = Vec::new();
                loop {
                    keys.push(self.sort_key("by")?);
                    if !self.comma(&[])? {
                        break;
                    }
                }
                OperatorKind::Sort { params, keys }
            }
            "take" | "limit" => {
                let _ = self.params(&[])?;
                OperatorKind::Take(self.expr_np(kw)?)
            }
            "top" => {
                let _ = self.params(&[])?;
                let count = self.expr_np(kw)?;
                self.expect_word("by", "after the row count of `top`")?;
                OperatorKind::Top {
                    count,
                    key: self.sort_key("by")?,
                }
            }
            "top-nested" => {
                let mut clauses = vec![self.top_nested_clause(start)?];
                while self.peek() == Some(b',') {
                    self.pos += 1;
                    self.skip_ws();
                    let s = self.pos;
                    if self.rest().starts_with("top-nested") {
                        self.pos += "top-nested".len();
                    } else {
                        return Err(self.expected("`top-nested` after `,`"));
                    }
                    clauses.push(self.top_nested_clause(s)?);
                }
                OperatorKind::TopNested(clauses)
            }
            "count" => {
                if self.eat_word("as").is_some() {
                    self.ident()?;
                }
                OperatorKind::Count
            }
            "distinct" => {
                let _ = self.params(&[])?;
                let mut items = Vec::new();
                if let Some(s) = self.eat("*") {
                    items.push(Expr {
                        kind: ExprKind::Star,
                        span: s,
                    });
                } else {
                    loop {
                        items.push(self.expr_np(if items.is_empty() {
                            "distinct"
                        } else {
                            ","
                        })?);
                        if !self.comma(&[])? {
                            break;
                        }
                    }
                }
                OperatorKind::Distinct(items)
            }
            "join" | "lookup" => {
                let params = self.params(&["kind", "withsource"])?;
                self.check_join_kind(&params, name)?;
                let right = self.right_table(kw)?;
                let on = if self.eat_word("on").is_some() {
                    let mut on = Vec::new();
                    loop {
                        on.push(self.expr_np(if on.is_empty() { "on" } else { "," })?);
                        if !self.comma(&[])? {
                            break;
                        }
                    }
                    on
                } else {
                    return Err(self.expected(&format!(
                        "`on` and the join keys after the right side of `{kw}`"
                    )));
                };
                if name == "join" {
                    OperatorKind::Join { params, right, on }
                } else {
                    OperatorKind::Lookup { params, right, on }
                }
            }
            "union" => {
                let params = self.params(&["kind", "withsource", "isfuzzy"])?;
                let mut tables = Vec::new();
                loop {
                    tables.push(self.union_item()?);
                    if !self.comma(&[])? {
                        break;
                    }
                }
                OperatorKind::Union { params, tables }
            }
            "mv-expand" | "mv-apply" | "mvexpand" | "mvapply" => {
                let params = self.params(&["bagexpansion", "with_itemindex", "kind"])?;
                let mut items = Vec::new();
                loop {
                    let expr = self.named_expr(kw)?;
                    let to_type = if self.eat_word("to").is_some() {
                        self.expect_word("typeof", "after `to`")?;
                        let open = self.expect("(", "`(`")?;
                        let ty = self.type_name()?;
                        self.close(")", "(", open)?;
                        Some(ty)
                    } else {
                        None
                    };
                    items.push(ExpandItem { expr, to_type });
                    if !self.comma(&[])? {
                        break;
                    }
                }
                let limit = if self.eat_word("limit").is_some() {
                    Some(self.expr_np("limit")?)
                } else {
                    None
                };
                if name == "mv-expand" || name == "mvexpand" {
                    OperatorKind::MvExpand {
                        params,
                        items,
                        limit,
                    }
                } else {
                    self.expect_word("on", "and a subquery after the `mv-apply` items")?;
                    let on = self.subquery()?;
                    OperatorKind::MvApply {
                        params,
                        items,
                        limit,
                        on,
                    }
                }
            }
            "parse" | "parse-where" => {
                let params = self.params(&["kind", "flags"])?;
                let expr = self.expr_np(kw)?;
                self.expect_word(
                    "with",
                    format_args!("and a pattern after the `{kw}` source"),
                )?;
                let pattern = self.parse_pattern()?;
                if name == "parse" {
                    OperatorKind::Parse {
                        params,
                        expr,
                        pattern,
                    }
                } else {
                    OperatorKind::ParseWhere {
                        params,
                        expr,
                        pattern,
                    }
                }
            }
            "parse-kv" => {
                let expr = self.expr_np(kw)?;
                self.expect_word("as", "and the output columns after the `parse-kv` source")?;
                let open = self.expect("(", "`(`")?;
                let columns = self.column_decls(open)?;
                let with = self.with_params()?;
                OperatorKind::ParseKv {
                    expr,
                    columns,
                    with,
                }
            }
            "make-series" => OperatorKind::MakeSeries(Box::new(self.make_series(kw)?)),
            "evaluate" => {
                let params = self.params(&[])?;
                if self.peek_word().is_none() {
                    return Err(self.expected("a plugin call after `evaluate`"));
                }
                OperatorKind::Evaluate {
                    params,
                    call: self.call()?,
                }
            }
            "render" => {
                let chart = self.ident()?;
                let mut with = self.with_params()?;
                with.extend(self.params(&[
                    "kind",
                    "title",
                    "xcolumn",
                    "ycolumns",
                    "series",
                    "xtitle",
                    "ytitle",
                    "legend",
                    "ysplit",
                    "accumulate",
                ])?);
                OperatorKind::Render { chart, with }
            }
            "serialize" => {
                let items = if self.at_operator_end() {
                    Vec::new()
                } else {
                    self.named_list(kw, &[])?
                };
                OperatorKind::Serialize(items)
            }
            "as" => {
                let params = self.params(&[])?;
                OperatorKind::As {
                    params,
                    name: self.ident()?,
                }
            }
            "invoke" => OperatorKind::Invoke(self.call()?),
            "getschema" => OperatorKind::GetSchema,
            "sample" => {
                let _ = self.params(&[])?;
                OperatorKind::Sample(self.expr_np(kw)?)
            }
            "sample-distinct" => {
                let _ = self.params(&[])?;
                let count = self.expr_np(kw)?;
                self.expect_word("of", "after the count of `sample-distinct`")?;
                OperatorKind::SampleDistinct {
                    count,
                    of: self.expr_np("of")?,
                }
            }
            "partition" => {
                let params = self.params(&[])?;
                self.expect_word("by", "after `partition`")?;
                let col = self.ident()?;
                let by = Expr {
                    span: col.span,
                    kind: ExprKind::Name(col),
                };
                let body = if let Some(open) = self.eat("{") {
                    let e = self.expr()?;
                    self.close("}", "{", open)?;
                    PartitionBody::Expr(e)
                } else {
                    PartitionBody::Subquery(self.subquery()?)
                };
                OperatorKind::Partition { params, by, body }
            }
            "scan" => OperatorKind::Scan(Box::new(self.scan()?)),
            "facet" => {
                self.expect_word("by", "after `facet`")?;
                let by = self.ident_list("by", false)?;
                let with = if self.eat_word("with").is_some() {
                    Some(self.subquery()?)
                } else {
                    None
                };
                OperatorKind::Facet { by, with }
            }
            "fork" => {
                let mut branches = Vec::new();
                loop {
                    let label = if self.peek_word().is_some() && self.named_arg_next() {
                        let n = self.ident()?;
                        self.eat_assign();
                        Some(n)
                    } else {
                        None
                    };
                    if self.peek() != Some(b'(') {
                        if branches.is_empty() {
                            return Err(self.expected("`(` and a subquery after `fork`"));
                        }
                        break;
                    }
                    branches.push((label, self.subquery()?));
                }
                OperatorKind::Fork(branches)
            }
            "search" => {
                let params = self.params(&["kind"])?;
                let tables = if self.is_word("in") {
                    self.pos += 2;
                    let open = self.expect("(", "`(` after `in`")?;
                    let mut t = Vec::new();
                    loop {
                        t.push(self.wildcard_ident()?);
                        if !self.comma(&[")"])? {
                            break;
                        }
                    }
                    self.close(")", "(", open)?;
                    t
                } else {
                    Vec::new()
                };
                OperatorKind::Search {
                    params,
                    tables,
                    predicate: self.expr_np(kw)?,
                }
            }
            "find" => {
                let params = self.params(&["withsource", "kind"])?;
                let tables = if self.is_word("in") {
                    self.pos += 2;
                    let open = self.expect("(", "`(` after `in`")?;
                    let mut t = Vec::new();
                    loop {
                        t.push(self.union_item()?);
                        if !self.comma(&[")"])? {
                            break;
                        }
                    }
                    self.close(")", "(", open)?;
                    t
                } else {
                    Vec::new()
                };
                self.eat_word("where");
                let predicate = self.expr_np(kw)?;
                let project = if self.eat_word("project").is_some()
                    || self.rest().starts_with("project-smart")
                {
                    if self.rest().starts_with("project-smart") {
                        self.pos += "project-smart".len();
                        Vec::new()
                    } else {
                        self.ident_list("project", true)?
                    }
                } else {
                    Vec::new()
                };
                OperatorKind::Find {
                    params,
                    tables,
                    predicate,
                    project,
                }
            }
            "reduce" => {
                self.expect_word("by", "after `reduce`")?;
                let by = self.expr_np("by")?;
                let mut with = Vec::new();
                if self.eat_word("with").is_some() {
                    loop {
                        with.push(self.operator_param()?);
                        if !self.comma(&[])? {
                            break;
                        }
                    }
                }
                OperatorKind::Reduce { by, with }
            }
            "consume" => OperatorKind::Consume(self.params(&["decodeblocks"])?),
            "print" => OperatorKind::Print(self.named_list(kw, &[])?),
            "range" => {
                let name = self.ident()?;
                self.expect_word("from", format_args!("after `range {}`", name.name))?;
                let from = self.expr_np("from")?;
                self.expect_word("to", "after the start of `range`")?;
                let to = self.expr_np("to")?;
                self.expect_word("step", "after the end of `range`")?;
                let step = self.expr_np("step")?;
                OperatorKind::Range {
                    name,
                    from,
                    to,
                    step,
                }
            }
            "datatable" => {
                let _ = self.params(&[])?;
                let open = self.expect("(", "`(` and a schema after `datatable`")?;
                let columns = self.column_decls(open)?;
                let values = self.bracket_values("datatable")?;
                OperatorKind::Datatable(Datatable { columns, values })
            }
            "externaldata" => {
                let open = self.expect("(", "`(` and a schema after `externaldata`")?;
                let columns = self.column_decls(open)?;
                let uris = self.bracket_values("externaldata")?;
                let with = self.with_params()?;
                OperatorKind::Externaldata {
                    columns,
                    uris,
                    with,
                }
            }
            _ => {
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_OPERATOR,
                    format!("unknown operator `{name}`"),
                    name_span,
                );
                if let Some(s) = closest(name, OPERATORS) {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                }
                return Err(Box::new(d));
            }
        };
        self.leave();
        if let Some(d) = self.leftover_error() {
            return Err(d);
        }
        Ok(Operator {
            kind,
            span: self.span_from(start),
        })
    }

    fn expected_expr_after(&mut self, after: &str) -> Box<Diagnostic> {
        let found = self.found();
        let span = self.next_span();
        err(
            codes::EXPECTED_EXPR,
            format!("expected an expression after `{after}`, found {found}"),
            span,
        )
    }

    fn at_operator_end(&mut self) -> bool {
        matches!(self.peek(), None | Some(b'|' | b';' | b')' | b'}'))
    }

    fn check_join_kind(&mut self, params: &[OperatorParam], op: &str) -> PResult<()> {
        for p in params {
            if p.name.name != "kind" {
                continue;
            }
            let ExprKind::Name(kind) = &p.value.kind else {
                continue;
            };
            let known: &[&str] = if op == "lookup" {
                &["leftouter", "inner"]
            } else {
                JOIN_KINDS
            };
            if !known.contains(&kind.name.as_str()) {
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_JOIN_KIND,
                    format!("unknown {op} kind `{}`", kind.name),
                    kind.span,
                );
                d = match closest(&kind.name, known) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None => d.with_hint(format!("{op} kinds are {}", known.join(", "))),
                };
                return Err(Box::new(d));
            }
        }
        Ok(())
    }

    /// The right side of `join`/`lookup`: `(T | ...)` (unwrapped) or a name.
    fn right_table(&mut self, kw: &str) -> PResult<Expr> {
        if let Some(open) = self.eat("(") {
            self.need_expr("(")?;
            let e = self.expr()?;
            self.close(")", "(", open)?;
            return Ok(e);
        }
        self.need_expr(kw)?;
        self.postfix()
    }

    fn union_item(&mut self) -> PResult<Expr> {
        self.skip_ws();
        if self.peek_word().is_some() || self.peek() == Some(b'*') {
            let len = self
                .rest()
                .bytes()
                .take_while(|b| lex::is_ident_char(*b) || *b == b'*')
                .count();
            if self.src[self.pos..self.pos + len].contains('*') {
                let id = self.wildcard_ident()?;
                return Ok(Expr {
                    span: id.span,
                    kind: ExprKind::Name(id),
                });
            }
        }
        self.need_expr("union")?;
        self.postfix()
    }

    /// `[v, v, ...]` after a `datatable`/`externaldata` schema.
    fn bracket_values(&mut self, op: &str) -> PResult<Vec<Expr>> {
        let open = self.expect_lazy("[", || format!("`[` and the values of `{op}`"))?;
        let mut values = Vec::new();
        self.enter()?;
        loop {
            if self.eat("]").is_some() {
                break;
            }
            values.push(self.expr_np(if values.is_empty() { "[" } else { "," })?);
            if self.eat(",").is_some() {
                continue;
            }
            self.close("]", "[", open)?;
            break;
        }
        self.leave();
        Ok(values)
    }

    /// `with (name = value, ...)`, or nothing.
    fn with_params(&mut self) -> PResult<Vec<OperatorParam>> {
        let save = self.pos;
        if self.eat_word("with").is_none() {
            return Ok(Vec::new());
        }
        let Some(open) = self.eat("(") else {
            self.pos = save;
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        if self.eat(")").is_some() {
            return Ok(out);
        }
        loop {
            out.push(self.operator_param()?);
            if self.comma(&[")"])? {
                continue;
            }
            self.close(")", "(", open)?;
            return Ok(out);
        }
    }

    fn operator_param(&mut self) -> PResult<OperatorParam> {
        self.skip_ws();
        let start = self.pos;
        let name = self.dotted_name()?;
        if self.eat_assign().is_none() {
            return Err(self.expected(&format!("`=` after `{}`", name.name)));
        }
        let value = self.param_value()?;
        Ok(OperatorParam {
            name,
            value,
            span: self.span_from(start),
        })
    }

    /// `name = value` parameters before an operator's arguments: names in
    /// `allowed` or starting with `hint.`.
    fn params(&mut self, allowed: &[&str]) -> PResult<Vec<OperatorParam>> {
        let mut out = Vec::new();
        loop {
            let save = self.pos;
            // Only bare words: `['kind'] = x` is a named column, not a parameter.
            if self.peek_word().is_none() {
                return Ok(out);
            }
            let Ok(name) = self.dotted_name() else {
                self.pos = save;
                return Ok(out);
            };
            let known = allowed.contains(&name.name.as_str()) || name.name.starts_with("hint.");
            if !known || !self.at_assign() {
                self.pos = save;
                return Ok(out);
            }
            self.eat_assign();
            let value = self.param_value()?;
            out.push(OperatorParam {
                span: name.span.to(value.span),
                name,
                value,
            });
        }
    }

    /// A parameter value: a bare word (`inner`, `shuffle`), a literal, or an
    /// expression.
    fn param_value(&mut self) -> PResult<Expr> {
        self.skip_ws();
        if let Some(w) = self.peek_word() {
            let is_string_prefix =
                matches!(w, "h" | "H") && matches!(self.at(1), Some(b'"' | b'\'' | b'@'));
            if !is_string_prefix
                && !matches!(w, "true" | "false" | "True" | "False" | "TRUE" | "FALSE")
            {
                let id = self.dotted_name()?;
                return Ok(Expr {
                    span: id.span,
                    kind: ExprKind::Name(id),
                });
            }
        }
        self.need_expr("=")?;
        // No postfix: `isfuzzy=true ["T*"]` is a value then a table.
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.unary()
        } else {
            self.primary()
        }
    }

    /// A comma list of `[Name =] expr` items, stopping at `stop` words.
    fn named_list(&mut self, after: &str, stop: &[&str]) -> PResult<Vec<NamedExpr>> {
        let mut out = Vec::new();
        loop {
            let after_item = if out.is_empty() { after } else { "," };
            out.push(self.named_expr(after_item)?);
            if !self.comma(stop)? {
                return Ok(out);
            }
        }
    }

    fn named_expr(&mut self, after: &str) -> PResult<NamedExpr> {
        self.skip_ws();
        let start = self.pos;
        let mut names = Vec::new();
        if self.peek() == Some(b'(') {
            let save = self.pos;
            self.pos += 1;
            let mut tuple = Vec::new();
            let ok = loop {
                match self.ident() {
                    Ok(id) => tuple.push(id),
                    Err(_) => break false,
                }
                if self.eat(",").is_some() {
                    continue;
                }
                break self.eat(")").is_some() && self.eat_assign().is_some();
            };
            if ok {
                names = tuple;
            } else {
                self.pos = save;
            }
        } else if let Some(id) = self.digit_name_assign() {
            names.push(id);
        } else if self.peek_word().is_some() || self.peek() == Some(b'[') {
            let save = self.pos;
            match self.ident() {
                Ok(id) if self.at_assign() => {
                    self.eat_assign();
                    names.push(id);
                }
                _ => self.pos = save,
            }
        }
        let after = if names.is_empty() { after } else { "=" };
        let expr = self.expr_np(after)?;
        Ok(NamedExpr {
            names,
            expr,
            span: self.span_from(start),
        })
    }

    fn sort_order(&mut self) -> Option<SortOrder> {
        if self.eat_word("asc").is_some() {
            Some(SortOrder::Asc)
        } else if self.eat_word("desc").is_some() {
            Some(SortOrder::Desc)
        } else {
            None
        }
    }

    fn sort_key(&mut self, after: &str) -> PResult<SortKey> {
        self.skip_ws();
        let start = self.pos;
        let expr = self.expr_np(after)?;
        let order = self.sort_order();
        let nulls = if self.eat_word("nulls").is_some() {
            if self.eat_word("first").is_some() {
                Some(NullsOrder::First)
            } else if self.eat_word("last").is_some() {
                Some(NullsOrder::Last)
            } else {
                return Err(self.expected("`first` or `last` after `nulls`"));
            }
        } else {
            None
        };
        Ok(SortKey {
            expr,
            order,
            nulls,
            span: self.span_from(start),
        })
    }

    fn top_nested_clause(&mut self, start: usize) -> PResult<TopNestedClause> {
        let count = if self.is_word("of") {
            None
        } else {
            Some(self.expr_np("top-nested")?)
        };
        self.expect_word("of", "in `top-nested`")?;
        let of = self.named_expr("of")?;
        let with_others = if self.eat_word("with").is_some() {
            self.expect_word("others", "after `with`")?;
            self.expect("=", "`=` after `others`")?;
            Some(self.expr_np("=")?)
        } else {
            None
        };
        self.expect_word("by", "in `top-nested`")?;
        let by = self.named_expr("by")?;
        let order = self.sort_order();
        Ok(TopNestedClause {
            count,
            of,
            with_others,
            by,
            order,
            span: self.span_from(start),
        })
    }

    /// `( op | op ... )`: operators applied to an implicit input.
    fn subquery(&mut self) -> PResult<Subquery> {
        self.skip_ws();
        let start = self.pos;
        let open = self.expect("(", "`(` and a subquery")?;
        self.enter()?;
        let mut ops = Vec::new();
        self.eat("|");
        loop {
            ops.push(self.operator()?);
            if self.eat("|").is_some() {
                continue;
            }
            break;
        }
        self.close(")", "(", open)?;
        self.leave();
        Ok(Subquery {
            ops,
            span: self.span_from(start),
        })
    }

    fn parse_pattern(&mut self) -> PResult<Vec<ParsePart>> {
        let mut parts = Vec::new();
        loop {
            match self.peek() {
                Some(b'*') => {
                    self.pos += 1;
                    parts.push(ParsePart::Star);
                }
                Some(b'"' | b'\'' | b'`' | b'@') => {
                    parts.push(ParsePart::Text(self.string_literal()?))
                }
                Some(b'h' | b'H') if matches!(self.at(1), Some(b'"' | b'\'')) => {
                    parts.push(ParsePart::Text(self.string_literal()?))
                }
                Some(b) if lex::is_ident_start(b) || b == b'[' => {
                    let name = self.ident()?;
                    let ty = if self.eat(":").is_some() {
                        Some(self.type_name()?)
                    } else {
                        None
                    };
                    parts.push(ParsePart::Column { name, ty });
                }
                _ => break,
            }
        }
        if parts.is_empty() {
            return Err(self.expected("a pattern after `with`"));
        }
        Ok(parts)
    }

    fn make_series(&mut self, kw: &str) -> PResult<MakeSeries> {
        let params = self.params(&["kind"])?;
        let mut aggregates = Vec::new();
        loop {
            let agg = self.named_expr(if aggregates.is_empty() { kw } else { "," })?;
            let default = if self.eat_word("default").is_some() {
                self.expect("=", "`=` after `default`")?;
                Some(self.expr_np("default =")?)
            } else {
                None
            };
            aggregates.push((agg, default));
            if !self.comma(&[])? {
                break;
            }
        }
        self.expect_word("on", "and the axis column in `make-series`")?;
        self.need_expr("on")?;
        let on = self.binary(ADD)?;
        let (mut from, mut to, step);
        if self.eat_word("in").is_some() {
            self.expect_word("range", "after `in`")?;
            let open = self.expect("(", "`(`")?;
            from = Some(self.expr_np("(")?);
            self.expect(",", "`,`")?;
            to = Some(self.expr_np(",")?);
            self.expect(",", "`,`")?;
            step = self.expr_np(",")?;
            self.close(")", "(", open)?;
        } else {
            from = None;
            to = None;
            if self.eat_word("from").is_some() {
                from = Some(self.expr_np("from")?);
            }
            if self.eat_word("to").is_some() {
                to = Some(self.expr_np("to")?);
            }
            self.expect_word("step", "in `make-series`")?;
            step = self.expr_np("step")?;
        }
        let by = if self.eat_word("by").is_some() {
            self.named_list("by", &[])?
        } else {
            Vec::new()
        };
        Ok(MakeSeries {
            params,
            aggregates,
            on,
            from,
            to,
            step,
            by,
        })
    }

    fn scan(&mut self) -> PResult<Scan> {
        let params = self.params(&["with_match_id"])?;
        let mut order_by = Vec::new();
        let mut partition_by = Vec::new();
        let mut declare = Vec::new();
        loop {
            if self.eat_word("order").is_some() {
                self.expect_word("by", "after `order`")?;
                loop {
                    order_by.push(self.sort_key("by")?);
                    if !self.comma(&[])? {
                        break;
                    }
                }
            } else if self.eat_word("partition").is_some() {
                self.expect_word("by", "after `partition`")?;
                loop {
                    partition_by.push(self.expr_np("by")?);
                    if !self.comma(&[])? {
                        break;
                    }
                }
            } else if self.eat_word("declare").is_some() {
                let open = self.expect("(", "`(` after `declare`")?;
                declare = self.parameters(open)?;
            } else {
                break;
            }
        }
        self.expect_word("with", "and the steps of `scan`")?;
        let open = self.expect("(", "`(` after `with`")?;
        let mut steps = Vec::new();
        while self.is_word("step") {
            self.skip_ws();
            let start = self.pos;
            self.eat_word("step");
            let name = self.ident()?;
            let optional = self.eat_word("optional").is_some();
            let output = if self.eat_word("output").is_some() {
                self.expect("=", "`=` after `output`")?;
                Some(self.ident()?)
            } else {
                None
            };
            self.expect(":", "`:` after the step name")?;
            let predicate = self.expr_np(":")?;
            let mut assignments = Vec::new();
            if self.eat("=>").is_some() {
                loop {
                    let n = self.dotted_name()?;
                    if self.eat_assign().is_none() {
                        return Err(self.expected("`=` in a step assignment"));
                    }
                    let v = self.expr_np("=")?;
                    assignments.push((n, v));
                    if !self.comma(&[";", ")"])? {
                        break;
                    }
                }
            }
            self.expect(";", "`;` after the step")?;
            steps.push(ScanStep {
                name,
                optional,
                output,
                predicate,
                assignments,
                span: self.span_from(start),
            });
        }
        self.close(")", "(", open)?;
        Ok(Scan {
            params,
            order_by,
            partition_by,
            declare,
            steps,
        })
    }
}

/// Ticks of `text` (a number) times `mult`, rounding reals.
fn ticks_of(text: &str, real: bool, mult: i64) -> Option<i64> {
    if real {
        let v = text.parse::<f64>().ok()? * mult as f64;
        if !v.is_finite() || v.abs() >= 9.2e18 {
            return None;
        }
        Some(v.round() as i64)
    } else {
        text.parse::<i64>().ok()?.checked_mul(mult)
    }
}

/// The inside of `time(...)`/`timespan(...)`: `2h`, `-1.5d`, `3` (days),
/// `1.02:03:04.5`, `02:03:04`, `02:03`.
fn parse_time_text(text: &str) -> Option<i64> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b.trim_start()),
        None => (false, text),
    };
    let (num, real) = lex::number(body)?;
    let unit = &body[num.len()..];
    let ticks = if unit.is_empty() {
        ticks_of(num, real, lex::timespan_unit("d")?)?
    } else if let Some(mult) = lex::timespan_unit(unit) {
        ticks_of(num, real, mult)?
    } else if unit.starts_with(':') || (unit.starts_with('.') && body.contains(':')) {
        clock_ticks(body)?
    } else {
        return None;
    };
    Some(if neg { -ticks } else { ticks })
}

/// `[d.]hh:mm[:ss[.fffffff]]`.
fn clock_ticks(text: &str) -> Option<i64> {
    let (days, clock) = match text.split_once('.') {
        Some((d, rest)) if !d.contains(':') => (d.parse::<i64>().ok()?, rest),
        _ => (0, text),
    };
    let mut parts = clock.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let (s, frac) = match parts.next() {
        Some(sec) => match sec.split_once('.') {
            Some((s, f)) => (s.parse::<i64>().ok()?, f),
            None => (sec.parse::<i64>().ok()?, ""),
        },
        None => (0, ""),
    };
    if parts.next().is_some() || frac.len() > 7 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_ticks: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<7}").parse().ok()?
    };
    let secs = days
        .checked_mul(86_400)?
        .checked_add(h * 3600 + m * 60 + s)?;
    secs.checked_mul(10_000_000)?.checked_add(frac_ticks)
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (or 32 bare hex digits).
fn parse_guid(text: &str) -> Option<u128> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    let groups: Vec<usize> = text.split('-').map(str::len).collect();
    let shape_ok = groups == [8, 4, 4, 4, 12] || groups == [32];
    if !shape_ok || hex.len() != 32 {
        return None;
    }
    u128::from_str_radix(&hex, 16).ok()
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
